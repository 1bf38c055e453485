// The live room's record, as the domain sees it: no Socket.IO, no mongoose.

export interface ChatRecord {
  id: string;
  seminarId: string;
  userId: string;
  displayName: string;
  text: string;
  at: Date;
  offsetMs: number;
  deletedAt: Date | null;
}

export interface QuestionRecord {
  id: string;
  seminarId: string;
  userId: string;
  displayName: string;
  text: string;
  voterIds: string[];
  status: 'open' | 'answering' | 'answered';
  at: Date;
  offsetMs: number;
  /** When the lecturer started answering: a chapter of the recording. */
  answeringOffsetMs: number | null;
  /** Grows by one with each change (a vote, a status), in the same write as the change. */
  revision: number;
}

export interface MarkerRecord {
  id: string;
  seminarId: string;
  label: string;
  offsetMs: number;
}

export interface AttendanceRecord {
  id: string;
  seminarId: string;
  userId: string;
  joinedAt: Date;
  leftAt: Date | null;
}

export interface LiveRepository {
  addChat(m: Omit<ChatRecord, 'id' | 'deletedAt'>): Promise<ChatRecord>;
  deleteChat(seminarId: string, id: string): Promise<boolean>;
  recentChat(seminarId: string, limit: number): Promise<ChatRecord[]>;
  addQuestion(q: Omit<QuestionRecord, 'id' | 'voterIds' | 'status' | 'answeringOffsetMs' | 'revision'>): Promise<QuestionRecord>;
  /** Adds the vote unless this user already voted; false when they had. */
  upvote(seminarId: string, questionId: string, userId: string): Promise<QuestionRecord | null | 'already_voted'>;
  setQuestionStatus(
    seminarId: string,
    questionId: string,
    status: 'answering' | 'answered',
    offsetMs: number,
  ): Promise<QuestionRecord | null>;
  questions(seminarId: string): Promise<QuestionRecord[]>;
  addMarker(m: Omit<MarkerRecord, 'id'>): Promise<MarkerRecord>;
  markers(seminarId: string): Promise<MarkerRecord[]>;
  ban(seminarId: string, userId: string): Promise<void>;
  isBanned(seminarId: string, userId: string): Promise<boolean>;
  openAttendance(seminarId: string, userId: string, at: Date): Promise<AttendanceRecord>;
  closeAttendance(id: string, at: Date): Promise<void>;
  attendance(seminarId: string): Promise<AttendanceRecord[]>;
}
