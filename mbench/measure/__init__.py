"""Measurement: the timing loop and its stopping rule (timing), the agent that times one warm artifact (agent),
interleaved rounds over several artifacts (rounds; tool_rounds for devices whose tools time whole invocations),
what the OS says about contention (machine), the latency estimator, intervals and interference verdicts
(estimate), and results turned into rows (rows)."""
