"""Frame filters over a stream of colour frames: the temporal mode (temporal.py) and smoothing
(smoothing.py), both on the flow-reliability core in flow.py. A filter takes and yields
colorize.engine.model.ColorizedFrame items and reads `source.cut` (and `source.key`) from them."""
