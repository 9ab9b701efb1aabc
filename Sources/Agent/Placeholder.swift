// Agent: placeholder until its layer lands.
