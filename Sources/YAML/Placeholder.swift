// YAML: placeholder until its layer lands.
