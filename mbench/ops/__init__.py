"""Where the time goes: a profiling pass per artifact that times each operator on its runtime and places it in the
PyTorch module that made it (``decoder.up2``, ``features.14.conv.1``).

One module per runtime (``onnxruntime``, ``executorch``, ``torch_eager``, ``litert``) turns that runtime's own
profile into ``OpTime`` records (``profile``); ``rows`` turns them into measurement rows (``op_ms`` per module and
op type, ``op_attributed`` per artifact) and ``view`` reads them back from the store for the CLI and the report.
The pass is separate from the timed rounds: profiling slows a runtime down, so its numbers never become ``latency``.
"""
