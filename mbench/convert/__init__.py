"""The convert stage: a model spec becomes artifacts (the pipeline), cached by content, with captured logs."""
