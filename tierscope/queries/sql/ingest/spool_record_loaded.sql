-- Inside a spool group's load transaction: the names of the files whose rows it commits.
insert into spool_loaded (file_name, loaded_at)
select unnest($names::varchar[]), $now
