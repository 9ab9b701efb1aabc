print("fieldagent-modelc: not yet")
