"""The conversation core: channel-free, takes an incoming message and returns what to send."""
