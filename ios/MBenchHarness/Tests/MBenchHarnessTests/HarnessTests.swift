import CoreML
import Foundation
import MBenchHarness
import XCTest

/// Settings come from the environment: xcodebuild passes TEST_RUNNER_MBENCH_* to the test as MBENCH_*.
final class HarnessTests: XCTestCase {
    func testBenchmark() throws {
        let environment = ProcessInfo.processInfo.environment
        let runs = Int(environment["MBENCH_RUNS"] ?? "") ?? 50
        let warmups = Int(environment["MBENCH_WARMUP_RUNS"] ?? "") ?? 1
        let units = (environment["MBENCH_COMPUTE_UNITS"] ?? "ALL").split(separator: ",").map(String.init)
        let package = try XCTUnwrap(Bundle.module.url(forResource: "model", withExtension: "mlpackage",
                                                      subdirectory: "Resources"),
                                    "Resources/model.mlpackage is missing: mbench copies it in before building")
        let compiled = try MLModel.compileModel(at: package)
        let encoder = JSONEncoder()
        for unit in units {
            let record = try Benchmark.run(compiled: compiled, units: unit, warmups: warmups, runs: runs)
            let line = String(decoding: try encoder.encode(record), as: UTF8.self)
            print(Benchmark.marker + line)
        }
    }
}
