import { describe, expect, it } from 'vitest';
import { RouteTable } from '../../server/http/route-table';

describe('the REST route table', () => {
  const table = new RouteTable<string>();
  table.add('post', '/progress/heartbeats', 'heartbeat');
  table.add('get', '/progress/:contentId', 'progress');
  table.add('get', '/seminars/:id/calendar.ics', 'ics');
  table.add('get', '/seminars/:id', 'seminar');

  it('finds static paths and fills params, decoded', () => {
    expect(table.find('POST', '/progress/heartbeats')).toEqual({ value: 'heartbeat', params: {} });
    expect(table.find('GET', '/progress/abc%20def')).toEqual({ value: 'progress', params: { contentId: 'abc def' } });
    expect(table.find('GET', '/seminars/42/calendar.ics')).toEqual({ value: 'ics', params: { id: '42' } });
  });

  it('follows Express: case-insensitive, trailing slash, HEAD as GET', () => {
    expect(table.find('POST', '/Progress/Heartbeats/')?.value).toBe('heartbeat');
    expect(table.find('HEAD', '/seminars/42')?.value).toBe('seminar');
    expect(table.find('GET', '/seminars/42/')?.params).toEqual({ id: '42' });
  });

  it('misses on another method, an empty param or extra segments', () => {
    expect(table.find('GET', '/progress/heartbeats')?.value).toBe('progress');
    expect(table.find('DELETE', '/seminars/42')).toBeUndefined();
    expect(table.find('GET', '/seminars/')).toBeUndefined();
    expect(table.find('GET', '/seminars/42/calendar.ics/x')).toBeUndefined();
    expect(table.find('PUT', '/progress/heartbeats')).toBeUndefined();
  });

  it('throws URIError on a malformed escape, for the error handler to answer 400', () => {
    expect(() => table.find('GET', '/seminars/%E0%A4%A')).toThrow(URIError);
  });
});

describe('building the route table', () => {
  it('refuses a route that an earlier one would shadow or duplicate', () => {
    const table = new RouteTable<string>();
    table.add('get', '/seminars/:id', 'seminar');
    table.add('post', '/seminars/:id', 'other method');
    expect(() => table.add('get', '/seminars/upcoming', 'static')).toThrow(/overlaps/);
    expect(() => table.add('get', '/Seminars/:seminarId', 'same pattern')).toThrow(/overlaps/);
  });

  it('answers a bad escape on a path that matches nothing as a miss, not an error', () => {
    const table = new RouteTable<string>();
    table.add('get', '/courses/:id/stats', 'stats');
    expect(table.find('GET', '/courses/%ZZ/nope')).toBeUndefined();
    expect(() => table.find('GET', '/courses/%ZZ/stats')).toThrow(URIError);
  });
});
