"""The core: one facilitator that every platform adapter feeds. It imports no platform SDK."""
