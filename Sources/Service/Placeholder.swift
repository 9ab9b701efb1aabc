// Service: placeholder until its layer lands.
