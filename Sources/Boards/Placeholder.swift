// Boards: placeholder until its layer lands.
