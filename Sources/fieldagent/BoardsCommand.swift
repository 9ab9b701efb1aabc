import CommandLineTool
import Boards
import EventLoop

/// `fieldagent boards`: the board maps.
enum BoardsCommand {
    static let command = Command(
        name: "boards",
        summary: "List the boards, or show one board's 40-pin header",
        help: """
        USAGE: fieldagent boards [NAME] [--boards DIR]

        Without NAME, lists the boards FieldAgent knows (built in, or from --boards DIR / $FIELDAGENT_BOARDS).
        With NAME, prints its header: physical pin, BCM name, chip label and line, and fixed roles.
        A config names pins by BCM name (pin: GPIO17) or header position (pin: header.11); moving a config
        to another board means changing its 'board:' line.

        EXAMPLES:
          fieldagent boards
          fieldagent boards rpi5
        """,
        run: { args in
            let dir = try args.option("--boards")
            let name = args.positional()
            try args.finish()
            let catalog = try makeCatalog(directory: dir)
            if let name {
                let board = try catalog.board(named: name)
                print(board.pinTable())
            } else {
                for board in catalog.boards {
                    print("\(board.name.padding(10))\(board.description)")
                }
            }
            return 0
        })
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self + " " : self + String(repeating: " ", count: width - count) }
}
