"""Pages, scripts, styles and voice clips for screens. Holds no logic of its own."""
