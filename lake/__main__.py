from lake.cli import main

raise SystemExit(main())
