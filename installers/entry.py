"""PyInstaller's entry script: the bundled executable is the `riddlewire` command."""

import sys

from desktop.launcher import main

if __name__ == "__main__":
    sys.exit(main())
