from eakte.cli import main

main()
