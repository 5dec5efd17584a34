"""The kiosk agent: drives a terminal's devices and talks to the hall server over HTTP."""
