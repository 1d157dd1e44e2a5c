from kratomlit.cli import main

main()
