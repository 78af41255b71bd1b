"""colorize: line-art video colorization.

Data flow (each stage is a plain module with explicit inputs and outputs):

    video --stages.extract--> frames --stages.lineart--> line-art
    line-art + frames --gans (pix2pix trainer)--> model
    line-art --stages.colorize--> colour frames --stages.assemble--> video
"""

__version__ = "0.1.0"
