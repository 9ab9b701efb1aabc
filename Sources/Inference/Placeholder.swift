// Inference: placeholder until its layer lands.
