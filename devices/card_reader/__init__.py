"""Resident ID card reader (GA/T 467 SAM serial protocol)."""

from devices.card_reader.model import CardData
from devices.card_reader.reader import CardReader
from devices.card_reader.simulator import CardReaderSimConfig, CardReaderSimulator

__all__ = ["CardData", "CardReader", "CardReaderSimConfig", "CardReaderSimulator"]
