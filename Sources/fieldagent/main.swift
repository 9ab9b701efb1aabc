print("fieldagent: not yet")
