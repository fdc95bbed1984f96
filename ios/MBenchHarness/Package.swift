// swift-tools-version:5.9
// mbench's iOS benchmark harness: an XCTest that loads Resources/model.mlpackage (copied in by mbench before
// building), warms up, times N predictions per compute unit and prints one `MBENCH-IOS {json}` line per unit.
// mbench runs: xcodebuild build-for-testing / test-without-building -scheme MBenchHarness -destination id=UDID
import PackageDescription

let package = Package(
    name: "MBenchHarness",
    platforms: [.iOS(.v16), .macOS(.v13)],
    products: [.library(name: "MBenchHarness", targets: ["MBenchHarness"])],
    targets: [
        .target(name: "MBenchHarness"),
        .testTarget(name: "MBenchHarnessTests", dependencies: ["MBenchHarness"], resources: [.copy("Resources")]),
    ]
)
