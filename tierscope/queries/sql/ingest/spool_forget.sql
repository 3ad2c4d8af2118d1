-- After the spool files are deleted: forget their names.
delete from spool_loaded where list_contains($names::varchar[], file_name)
