"""A device lab on Ray: conversions fan out as tasks, each device is a custom resource ``device:<name>`` of capacity 1,
and the driver alone writes the store. Ray is imported only here, never at ``import mbench``."""
