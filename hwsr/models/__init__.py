"""Keras models: the Graves synthesis/prediction network and the recogniser."""

from hwsr.models.recognition_model import HandwritingRecognitionModel
from hwsr.models.synthesis_model import HandwritingSynthesisModel

__all__ = ["HandwritingRecognitionModel", "HandwritingSynthesisModel"]
