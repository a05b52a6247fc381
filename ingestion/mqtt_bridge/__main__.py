from ingestion.mqtt_bridge.bridge import main

raise SystemExit(main())
