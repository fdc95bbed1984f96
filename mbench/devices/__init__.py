"""Where artifacts run: the inventory (devices.yaml) and one module per kind of device."""
