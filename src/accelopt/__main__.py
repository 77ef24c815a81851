from accelopt.cli.main import main

main()
