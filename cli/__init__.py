"""DeskChat's entry point and command line (Qt-free: Qt loads only to open the window)."""
