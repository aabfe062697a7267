"""morphax_checkpoint: fast, safe, resumable checkpoints of pytrees on tensorstore.

`save`/`restore`/`metadata` for one checkpoint directory, and
`CheckpointManager` for numbered checkpoints saved in the background.
"""

from .errors import (CheckpointError, CheckpointLockedError,
                     CorruptCheckpointError, TargetMismatchError)
from .manager import (AsyncSaveError, CheckpointManager, CheckpointManagerOptions,
                      StepAlreadyExistsError)
from .restore import checkpoint_info, metadata, restore
from .save import save

__all__ = [
    "AsyncSaveError", "CheckpointError", "CheckpointLockedError",
    "CheckpointManager", "CheckpointManagerOptions", "CorruptCheckpointError",
    "StepAlreadyExistsError", "TargetMismatchError", "checkpoint_info",
    "metadata", "restore", "save",
]
