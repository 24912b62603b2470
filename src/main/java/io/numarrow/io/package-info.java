/**
 * Arrow IPC files in and out: readers over files (checked before they are trusted), and writers
 * that write to a temporary file renamed into place only when complete.
 */
package io.numarrow.io;
