// GPIO: placeholder until its layer lands.
