from retail_platform.cli import main

raise SystemExit(main())
