-- Every tailed file's committed offset, keyed by its identity (device, inode).
select device, inode, path, committed_offset, head_hash from stream_offsets
