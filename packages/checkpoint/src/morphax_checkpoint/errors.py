"""Error types and the long error messages of morphax_checkpoint.

Every message names what is wrong (the path, key path, file, shapes or
dtypes) and how to fix it; tests match each one.
"""


class CheckpointError(Exception):
  """Base class of the errors morphax_checkpoint raises on bad checkpoints."""


class CorruptCheckpointError(CheckpointError, ValueError):
  """A checkpoint's files are missing, truncated or do not match their checksum."""


class TargetMismatchError(CheckpointError, ValueError):
  """A restore target's structure, shape or dtype does not match the checkpoint."""


class CheckpointLockedError(CheckpointError, RuntimeError):
  """Another CheckpointManager holds the directory's lock."""


NOT_A_CHECKPOINT = (
    "{path} is not a committed morphax checkpoint: {why}. A checkpoint becomes "
    "visible only after its save finished (the file {commit} marks that); an "
    "interrupted save leaves nothing to restore. Pick a step from "
    "CheckpointManager.all_steps() or save again.")

BAD_METADATA = (
    "The metadata file {file} of checkpoint {path} is unreadable ({why}); the "
    "checkpoint is corrupt or was not written by morphax_checkpoint.")

NEWER_FORMAT = (
    "Checkpoint {path} has format version {version}, but this morphax_checkpoint "
    "reads versions up to {supported}. Upgrade morphax-checkpoint to read it.")

ALREADY_EXISTS = (
    "save: {path} already exists. Pass force=True to replace it (the old "
    "checkpoint is removed only after the new one is complete), or save to a "
    "new path.")

UNSUPPORTED_LEAF = (
    "save: the leaf at {key} has type {type}, which cannot be saved. Leaves "
    "may be morphax Arrays, numpy arrays or scalars, Python bool/int/float/"
    "complex, str or None; convert it first (e.g. np.asarray(x)).")

UNSUPPORTED_DTYPE = (
    "save: the leaf at {key} has dtype {dtype}, which has no on-disk form. "
    "Supported dtypes: {supported}. Convert it first, e.g. x.astype(np.float32).")

UNSUPPORTED_KEY = (
    "save: the dict at {key} has the key {dict_key!r} of type {type}; only str "
    "and int dict keys can be saved. Use str keys.")

WRITE_FAILED = (
    "Saving checkpoint {path} failed while writing {what}: {why}. Is the disk "
    "full or the directory read-only? The partial checkpoint was removed; "
    "existing checkpoints were not changed.")

LEAF_READ_FAILED = (
    "Checkpoint {path} is corrupt: reading leaf {key} from {file} failed: {why}. "
    "The file is missing, truncated or damaged; restore another step.")

CHECKSUM_MISMATCH = (
    "Checkpoint {path} is corrupt: leaf {key} read from {file} does not match "
    "its checksum (crc32 {got:08x}, expected {want:08x}). The file was damaged "
    "after it was written; restore another step.")

TARGET_MISSING_KEY = (
    "restore: the target has {key}, which checkpoint {path} does not have. "
    "The checkpoint has at that level: {available}. Fix the target (restore "
    "a sub-tree by leaving keys out, not by adding them).")

TARGET_STRUCTURE = (
    "restore: the target's structure differs from checkpoint {path} at {key}: "
    "the checkpoint has {saved}, the target has {given}.")

TARGET_SHAPE = (
    "restore: the target's shape differs from checkpoint {path} at {key}: the "
    "checkpoint has {saved_shape}, the target has {given_shape}.")

TARGET_DTYPE = (
    "restore: the target's dtype differs from checkpoint {path} at {key}: the "
    "checkpoint has {saved}, the target has {given}. Pass cast=True to convert "
    "on restore, or make the target's dtype {saved}.")

BAD_TARGET_LEAF = (
    "restore: the target leaf at {key} has type {type}; a target leaf must be a "
    "morphax Array, a numpy array, a ShapeDtypeStruct, a Python scalar, a str "
    "or None.")

LOCKED = (
    "CheckpointManager: directory {directory} is in use by another "
    "CheckpointManager ({holder}); two managers writing one directory would "
    "delete each other's checkpoints. close() the other manager, or use another "
    "directory.")

READ_ONLY = (
    "CheckpointManager: cannot save step {step}: directory {directory} is not "
    "writable ({why}). Existing checkpoints can still be restored.")

NO_CHECKPOINTS = (
    "CheckpointManager.restore: directory {directory} has no committed "
    "checkpoint to restore. Save one first, or check the directory.")

NO_SUCH_STEP = (
    "CheckpointManager.restore: step {step} is not in {directory}; the steps "
    "there are {steps}.")

STEP_EXISTS = (
    "CheckpointManager.save: step {step} already exists in {directory}; a saved "
    "step is never overwritten. Save a new step number.")

BACKGROUND_SAVE_FAILED = (
    "CheckpointManager: the background save of step {step} failed: {why}")

CLOSED = "CheckpointManager: this manager is closed; create a new one."

BAD_BEST_MODE = (
    "CheckpointManagerOptions: best_mode must be 'max' or 'min', got {mode!r}.")

NO_PLACEMENT = (
    "restore: leaf {key} of checkpoint {path} was saved from {saved} devices "
    "along axis 0 (shape {saved_shape}); the target wants {given} devices with "
    "shape {given_shape}. Only a replicated leaf (all devices equal) can move to "
    "another device count.")
