"""Where inputs come from: generated task data (document photos) and calibration samples."""
