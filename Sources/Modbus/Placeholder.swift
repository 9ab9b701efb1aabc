// Modbus: placeholder until its layer lands.
