-- Spool files committed by a drain that did not get to delete them (see ingest/spool.py).
select file_name from spool_loaded order by file_name
