-- Inside a micro-batch's load transaction: the offset up to which the file's rows are now committed.
insert or replace into stream_offsets (device, inode, path, committed_offset, head_hash, committed_at)
values ($device, $inode, $path, $committed_offset, $head_hash, $now)
