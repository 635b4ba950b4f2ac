# Warnings for bulwark's own code (not for torch's headers, which come in as system headers).
set(BULWARK_WARNINGS -Wall -Wextra -Wpedantic -Wno-unused-parameter)
