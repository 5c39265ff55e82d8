from carcrm_tui.cli import main

raise SystemExit(main())
