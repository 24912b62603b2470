/**
 * The machine's shape and where memory lives: CPU and NUMA topology, placement policies, and the
 * Arrow allocator that puts buffers on NUMA nodes. The Linux calls go through the JDK's FFM API.
 */
package io.numarrow.numa;
