// What a page ships to record with rrweb and gzip on the main thread, as
// the bench runs it: rrweb's record() and fflate's gzipSync, tree-shaken
// and minified by webpack. Only its size is measured.
import { record } from 'rrweb';
import { gzipSync, strToU8 } from 'fflate';

window.rrwebRecorder = { record, gzipSync, strToU8 };
