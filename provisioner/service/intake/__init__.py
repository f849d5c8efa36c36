"""The intake and its loop: the doors' files taken, claimed, processed, archived or set aside."""
