// Config: placeholder until its layer lands.
