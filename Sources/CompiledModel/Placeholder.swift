// CompiledModel: placeholder until its layer lands.
