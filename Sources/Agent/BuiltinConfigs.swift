/// Configs compiled into the binary, so `fieldagent sim` runs with nothing else on disk.
/// `simBasic` is Examples/sim-basic.yaml, word for word (a test checks it).
public enum BuiltinConfigs {
    public static let simBasic = #"""
    # FieldAgent example: the simulation board (mock GPIO chip behind a Raspberry Pi header).
    # The same file runs on a Pi 4 by changing the board line to: board: rpi4
    board: sim
    name: sim-basic

    inputs:
      - name: button          # a push button to ground, with the internal pull-up
        pin: GPIO17           # header pin 11
        bias: pull-up
        active_low: true      # pressed pulls the line low: logical 1
        debounce: 10ms
      - name: door            # a door contact, closed = high
        pin: header.13        # GPIO27
        bias: pull-down
        debounce: 5ms

    outputs:
      - name: lamp
        pin: GPIO22           # header pin 15
        initial: off
        safe: off
      - name: buzzer
        pin: GPIO23           # header pin 16
        safe: off
      - name: fan
        pin: GPIO24           # header pin 18
        initial: off
        safe: on              # on shutdown or fault the fan runs

    rules:
      - when: button rises
        toggle: lamp
      - when: door rises
        pulse: buzzer 300ms
      - when: door changes
        set: fan on
      - when: button falls
        set: fan off
    """#
}
