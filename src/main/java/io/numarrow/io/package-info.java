/**
 * Arrow IPC files in and out: readers over files (checked before they are trusted) that map the
 * file and hand out its record batches as Arrow buffers over the mapping, without copying, and
 * writers that write to a temporary file renamed into place only when complete.
 */
package io.numarrow.io;
