"""Reads a subunit v2 stream on stdin and prints one JSON line per test:
{"id", "status", "detail"} where detail is the end of the traceback or the
skip reason. Run with Debian's /usr/bin/python3 (python3-subunit, testtools)."""
import json
import sys

import subunit
import testtools


def on_test(test):
    details = test['details']
    text = ''
    for key in ('traceback', 'reason'):
        if key in details:
            text = details[key].as_text()[-4000:]
    print(json.dumps({'id': test['id'], 'status': test['status'], 'detail': text}), flush=True)


stream = subunit.ByteStreamToStreamResult(sys.stdin.buffer, non_subunit_name='stdout')
result = testtools.StreamToDict(on_test)
result.startTestRun()
stream.run(result)
result.stopTestRun()
