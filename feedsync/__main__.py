from feedsync.cli.app import main

main()
